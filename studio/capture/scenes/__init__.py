"""What SyntheticSource draws: a person in a room (``person``), a product on a tabletop (``product``), and the
drawing helpers they share. Everything here is a function of the random generator passed in, so a seed gives the
same scene every time; how the subject moves is the source's job (studio.capture.synthetic)."""
