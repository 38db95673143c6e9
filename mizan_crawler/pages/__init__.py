"""Page modules: each turns one kind of page into data, with no I/O and no crawl state."""
