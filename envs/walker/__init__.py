"""Box2D building blocks of the walker envs: terrain, bodies and rendering."""
