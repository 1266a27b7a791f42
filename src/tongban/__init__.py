"""Tongban (通办): cross-jurisdiction government services."""
