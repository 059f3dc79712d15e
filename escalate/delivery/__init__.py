"""From bundle to ticket: the bundle located, as an email draft (.eml), or sent over SMTP."""
