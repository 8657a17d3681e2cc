"""Decimal money, Italian formatting and the computed tables of the plan."""
