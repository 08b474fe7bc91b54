"""Building blocks of Parkour (TeachMyAgent's parametric continuous parkour): the terrain CPPN,
the ground/ceiling/creepers/water generation and the water dynamics."""
