"""Publication figures rendered with matplotlib (no Qt): contour maps, parameter plots, presets."""
