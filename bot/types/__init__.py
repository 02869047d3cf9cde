"""Feature types: the data a service returns and a view renders, in leaf modules that import nothing above
`storage.models`."""
