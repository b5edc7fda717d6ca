"""Modal screens: details (enter) and help (?)."""
