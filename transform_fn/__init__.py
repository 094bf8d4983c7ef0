"""tf.Transform preprocessing for MovieLens retrieval."""
