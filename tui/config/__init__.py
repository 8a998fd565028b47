"""Paths and durable files: where ytplay keeps things, and writing them atomically."""
