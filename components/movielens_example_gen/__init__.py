"""ExampleGen over MovieLens: rating examples and the movie candidate corpus."""
