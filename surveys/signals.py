"""Signals the journey sends, so apps above surveys can act without surveys importing them."""

from django.dispatch import Signal

# Sent by services.response_submit inside its transaction, once per stored response (never for
# a repeated submission): ``response`` is the new Response with its results written.
response_stored = Signal()

# Sent by synthetic.population_write after a population was written (demo and benchmarks), with
# ``episode_ids`` (None: every episode), so notifications and alerts can fill in their part.
population_written = Signal()
