"""Partners (event venues and shops): their console and, later, events, coupons and QR check-in."""
