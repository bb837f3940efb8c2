"""Metrics shared by human and simulated data (they read DataFrames or run directories only)."""
