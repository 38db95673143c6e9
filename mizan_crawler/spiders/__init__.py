"""The crawler's spiders: they decide what to fetch; page modules decide what a page means."""
