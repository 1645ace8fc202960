"""Payments: a gateway strategy interface and built-in Stripe, Paystack and dummy gateways."""
