"""Monitoring: field coverage, Spidermon monitors, the end-of-crawl summary, the exit status."""
