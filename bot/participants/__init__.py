"""Participants' feedback forms at the edge: taking them in, offering their figures, printing."""
