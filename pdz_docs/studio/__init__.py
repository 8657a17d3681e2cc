"""`pdz studio`: the plan edited in the browser, saved to the same plain-text files."""
