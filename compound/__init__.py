"""compound: the utilities back office of a government office compound."""
