"""App files that tests serve (kernel isolation needs apps a kernel process can load)."""
