"""Background work: the Redis connection, the queue, the declared jobs and their schedule."""
