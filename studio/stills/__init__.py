"""Single images and folders: cutouts, kiosk preprocessing (flicker, white balance), export, journal and resume."""
