"""Review aids: what a module satisfies (controls report) and what a change does (summary)."""
