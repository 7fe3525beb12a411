"""Votes 表决 of residents-decide: rules fixed before opening, the roll, ballots, the tally."""
