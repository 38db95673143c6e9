"""The web archive: every response the crawler receives, with its request, kept as WARC records,
and the way back from those records (or anyone's WARC files of the site) to the dataset.

- ``files``: rolling WARC 1.1 files, one gzip member per record, written so a killed crawl
  leaves at most its last record torn;
- ``middleware``: the downloader middleware that writes every fetch and tells the item where its
  page lies (``Article.archive_record``);
- ``reader``: the captures of WARC and WACZ files and folders, tolerant of a torn last record;
- ``reparse``: the spider behind ``mizan-crawler reparse``, which parses captures in worker
  processes and hands the articles to the crawl's own pipelines.

warcio (Webrecorder's WARC library) reads and writes the format. scrapy-webarchive was the other
candidate: it builds on warcio too, but as a whole-crawl exporter (WACZ packed when the spider
closes) and a crawl-from-archive spider mixin, neither of which gives what is needed here: the
byte offset of each record as it is written, one flushed record at a time, a new file per run,
and parsing in several processes.
"""
