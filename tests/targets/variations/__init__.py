"""Small kernels with one known variation (or one unrelated bug), for the fingerprint tests."""
