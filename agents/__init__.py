"""The eight agents (issue 15): independent services that decide on point-in-time context and
publish typed messages on the bus. Empty until the first agent lands."""
