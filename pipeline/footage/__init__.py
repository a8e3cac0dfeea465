"""Looking at the footage: one analysis pass, the choice of the window, the 9:16 crop path."""
