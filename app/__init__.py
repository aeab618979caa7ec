"""operando-xrd Qt application and command line."""
