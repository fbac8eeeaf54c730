// Reads iCalendar files with ical.js (Mozilla's parser, the one behind Thunderbird's
// calendar code) and prints what a calendar would show, as JSON, so the Python tests can
// compare it with other parsers. usage: node read_ics.mjs FILE...
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const moment = (time) =>
  time.isDate ? time.toString() : time.toJSDate().toISOString().replace(".000Z", "Z");

const result = {};
for (const file of process.argv.slice(2)) {
  const calendar = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  result[file] = calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      summary: event.summary,
      start: moment(event.startDate),
      end: component.hasProperty("dtend") ? moment(event.endDate) : null,
      status: component.getFirstPropertyValue("status"),
      location: event.location,
      sequence: event.sequence,
    };
  });
}
process.stdout.write(JSON.stringify(result));
