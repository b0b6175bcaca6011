"""Side panels of the main window, one module each: source, model and backend, background, output, stats."""
