"""Text intelligence: reading what residents write, wherever it arrives (the report form, the console, the
inbox's e-mails, text messages and posts, meeting notes, imports).

- `suggesting`: the likely services for a text (and a place), with a calibrated confidence and the words
  that made it; "unsure" below the city's floor. Falls back to the keyword baseline
  (`knowledge.suggestions`) while a city has no trained model.
- `training`: builds the service model from the city's catalogue, knowledge base and history; evaluates it
  on held-out history; keeps it versioned (`models.ServiceModel`).
- `mood`: the kind of a text (request, complaint, question, praise, other) and its sentiment, English and
  Spanish (VADER, with a Spanish lexicon and the words of 311).
- `places`: addresses, intersections and neighborhood names found in free text, matched to the city.
- `duplicates`: open requests a new report may repeat, ranked by place, time and words.
- `reading`: all of the above for one text, the one call the staff API, the CSV command and the inbox use.

Everything runs on the machine; nothing is downloaded at run time.
"""
