"""Feature types: the data a service returns and a view renders, in leaf modules that import nothing above
`storage.models` (the standard library, storage.models and one another).

One module per feature, named like the feature (questions, escalations, notices, owners, ...), and the values
every feature shares: `decided` (a decision and its messages' keys), `keys` (outbox keys and posting subjects),
`limits` (what people may type), `outbox` (what a message's text leaves for delivery to fill in), `policy` (the
program's rules and allowances) and `standing`.
"""
