"""Music beds: the library of tracks and the choice of a bed for a clip."""
