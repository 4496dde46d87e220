RED = "\x1b[31m"
RESET = "\x1b[0m"
