"""The Qt desktop application: session state, background jobs and the views of a series."""
