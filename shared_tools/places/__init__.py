"""Digital-mediation places following the national data standard (La MedNum / ANCT, v1.0.2).

- `standard.py`: the vendored Table Schema read at run time, the CSV reader that validates a file
  field by field (every error with its line) and the writer of the standard's CSV;
- `hours.py`: opening hours in OpenStreetMap format (a real parser), "open now" in the place's
  own time zone, and the coming week for people to read;
- `territory.py`: département and time zone of a postcode;
- `services.py` (the import, all or nothing), `selectors.py` (lists and filters) and `api.py`.

The models (`Place`, `PlaceServiceOffer`) live in `shared_tools.models`.
"""
