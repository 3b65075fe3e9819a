"""Privacy over time (docs/privacy.md): the daily retention sweep, a customer's data exported or erased on
request. It sits above people, requests, notifications and surveys, because it reaches into all of them;
nothing below imports it (the customer's admin page links to its pages by URL name only)."""
