"""Checks: small pure functions `check_<rule>(plan) -> list[Problem]`, registered per stage."""
