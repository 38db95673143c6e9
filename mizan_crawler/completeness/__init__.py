"""How complete the store is: articles stored against those the site's sitemaps list, per day
and per Jalali month, with the holes, thin days, empty news-code ranges and withdrawn articles
(``mizan-crawler coverage``, and the per-month table of the dataset card).

- ``tally.py`` reads the store once into counts (what "listed" and a listed entry's day mean);
- ``findings.py`` finds what a researcher must know of those counts (pure functions);
- ``report.py`` writes them as Markdown; ``chart.py`` draws the PNG (the only module that imports
  matplotlib, and only the ``coverage`` command imports it).
"""
