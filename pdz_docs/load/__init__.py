"""Loading: YAML and Markdown files of a plan directory → model objects that remember file:line."""
