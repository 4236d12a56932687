"""What every package uses: settings, database, errors, i18n, time, forms, lookups, export."""
