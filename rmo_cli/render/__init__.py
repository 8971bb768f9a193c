"""Output documents: the signable charter (md, html, pdf), sites, dashboards and graphs."""
