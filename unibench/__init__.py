"""UniBench: how well does an appearance model track? (UniTrack protocol)."""

__version__ = "0.1.0"
