// Reads iCalendar files with two JavaScript parsers, ical.js (Mozilla's, behind Thunderbird)
// and node-ical (common in Node apps and dashboards), and prints one row per event for each,
// as JSON: {"ical.js": {file: [row]}, "node-ical": {file: [row]}}. tests/ics_parsers.py
// compares the rows with four Python parsers. usage: node read_calendars.mjs FILE...
//
// Rows: uid, start, end (a day as 2023-03-30, a moment in UTC as 2023-03-23T13:00:00Z, null
// without DTEND), summary, location, description (null when absent).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";
import nodeIcal from "node-ical";

const utc = (date) => date.toISOString().replace(".000Z", "Z");
const pad = (n, width = 2) => String(n).padStart(width, "0");

function icaljsMoment(time) {
  if (time.isDate) return time.toString();
  // A time with neither a registered TZID nor Z is floating: say so instead of guessing.
  if (time.zone === ICAL.Timezone.localTimezone) return `${time.toString()} floating`;
  return utc(time.toJSDate());
}

function readWithIcaljs(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  // Each file brings its own VTIMEZONE; nothing carries over from the file read before.
  ICAL.TimezoneService.reset();
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  return calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      start: icaljsMoment(event.startDate),
      end: component.hasProperty("dtend") ? icaljsMoment(event.endDate) : null,
      summary: component.getFirstPropertyValue("summary"),
      location: component.getFirstPropertyValue("location"),
      description: component.getFirstPropertyValue("description"),
    };
  });
}

// node-ical gives a text with parameters as {params, val}, and a plain string otherwise.
const nodeText = (value) =>
  value === undefined || value === null ? null : typeof value === "object" ? value.val : value;

const localDay = (date) =>
  `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;

function nodeMoment(date) {
  // All-day values are Dates at local midnight of this process, flagged dateOnly.
  if (date.dateOnly) return localDay(date);
  if (!date.tz) {
    const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
    return `${localDay(date)}T${time} floating`; // local wall-clock time, as ical.js says it
  }
  return utc(date);
}

function readWithNodeIcal(text) {
  const rows = [];
  for (const item of Object.values(nodeIcal.sync.parseICS(text))) {
    if (item.type !== "VEVENT") continue;
    // Without DTEND node-ical fills in RFC 5545's implied end (3.6.1): the start itself for
    // a moment. Read back as "no DTEND", which is what it stands for.
    const implied = !item.start.dateOnly && item.end.getTime() === item.start.getTime();
    rows.push({
      uid: item.uid,
      start: nodeMoment(item.start),
      end: implied ? null : nodeMoment(item.end),
      summary: nodeText(item.summary),
      location: nodeText(item.location),
      description: nodeText(item.description),
    });
  }
  return rows;
}

const result = { "ical.js": {}, "node-ical": {} };
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  for (const [name, read] of [
    ["ical.js", readWithIcaljs],
    ["node-ical", readWithNodeIcal],
  ]) {
    try {
      result[name][file] = read(text);
    } catch (error) {
      result[name][file] = { error: String(error) };
    }
  }
}
process.stdout.write(JSON.stringify(result));
