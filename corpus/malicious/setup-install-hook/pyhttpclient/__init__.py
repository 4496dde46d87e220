"""Nothing here: the package is a carrier for its install hook."""
