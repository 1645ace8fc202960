"""The staff REST API of promotions and voucher codes."""
