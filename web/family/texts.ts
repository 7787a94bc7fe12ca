// Every word the family app shows of its own, in bokmål and English. Texts of programmes, measurement
// types, forms and alerts come from the server in both languages; what is here is the app's chrome
// and the labels of the catalogue's attribute codes (route, colour, size, site), which the API names
// by code only.

import type { Dictionary, Lang } from "../shared/i18n";

export const texts = {
  appName: { nb: "Heima", en: "Heima" },
  language: { nb: "Språk", en: "Language" },
  switchLanguage: { nb: "English", en: "Norsk (bokmål)" },
  // Activation
  activateTitle: { nb: "Kom i gang", en: "Get started" },
  activateIntro: {
    nb: "Skriv inn aktiveringskoden du fikk fra sykehuset, og gi telefonen et navn.",
    en: "Type the activation code you got from the hospital, and give this phone a name.",
  },
  activationCode: { nb: "Aktiveringskode", en: "Activation code" },
  deviceName: { nb: "Navn på enheten", en: "Name of this device" },
  deviceNameDefault: { nb: "Min telefon", en: "My phone" },
  activate: { nb: "Aktiver", en: "Activate" },
  activating: { nb: "Aktiverer …", en: "Activating …" },
  activationFailed: {
    nb: "Koden virket ikke. Sjekk at den er skrevet riktig, eller be sykehuset om en ny.",
    en: "The code did not work. Check that it is typed correctly, or ask the hospital for a new one.",
  },
  activationExisting: {
    nb: "Koden er for et barn til deg som allerede er logget inn. Skriv den under «Mer» → «Legg til et barn» på telefonen du bruker.",
    en: "The code is for another child of yours, who are already signed in. Type it under More → Add a child on the phone you use.",
  },
  activationOffline: {
    nb: "Ingen nettforbindelse. Prøv igjen når du er på nett.",
    en: "No connection. Try again when you are online.",
  },
  scanCode: { nb: "Skann koden", en: "Scan the code" },
  loading: { nb: "Laster …", en: "Loading …" },
  signedOut: {
    nb: "Enheten er logget ut. Be sykehuset om en ny aktiveringskode.",
    en: "This device has been signed out. Ask the hospital for a new activation code.",
  },
  // Navigation
  navRegister: { nb: "Registrer", en: "Register" },
  navHistory: { nb: "Oversikt", en: "Overview" },
  navVideo: { nb: "Video", en: "Video" },
  navMore: { nb: "Mer", en: "More" },
  // Children
  child: { nb: "Barn", en: "Child" },
  chooseChild: { nb: "Velg barn", en: "Choose child" },
  bothChildren: { nb: "Begge", en: "Both" },
  registeringFor: { nb: "Registrerer for {name}", en: "Registering for {name}" },
  // Registering
  whatToRegister: { nb: "Hva vil du registrere?", en: "What do you want to register?" },
  time: { nb: "Tidspunkt", en: "Time" },
  note: { nb: "Merknad (valgfritt)", en: "Note (optional)" },
  save: { nb: "Lagre", en: "Save" },
  cancel: { nb: "Avbryt", en: "Cancel" },
  yes: { nb: "Ja", en: "Yes" },
  no: { nb: "Nei", en: "No" },
  required: { nb: "Må fylles ut", en: "Required" },
  notANumber: { nb: "Skriv et tall", en: "Type a number" },
  notWhole: { nb: "Skriv et helt tall", en: "Type a whole number" },
  between: { nb: "Må være mellom {min} og {max} {unit}", en: "Must be between {min} and {max} {unit}" },
  atLeast: { nb: "Må være minst {min} {unit}", en: "Must be at least {min} {unit}" },
  atMost: { nb: "Må være høyst {max} {unit}", en: "Must be at most {max} {unit}" },
  tooLong: { nb: "For lang tekst", en: "Too long" },
  inTheFuture: { nb: "Tidspunktet er fram i tid", en: "The time is in the future" },
  savedOnPhone: { nb: "Lagret på telefonen.", en: "Saved on this phone." },
  savedFor: { nb: "Lagret for {names}.", en: "Saved for {names}." },
  forms: { nb: "Skjema", en: "Forms" },
  score: { nb: "Poengsum: {score}", en: "Score: {score}" },
  // Outbox
  waiting: { nb: "{count} venter på å bli sendt", en: "{count} waiting to be sent" },
  allSent: { nb: "Alt er sendt", en: "Everything is sent" },
  offline: {
    nb: "Du er uten nett. Alt lagres på telefonen og sendes senere.",
    en: "You are offline. Everything is kept on this phone and sent later.",
  },
  sendNow: { nb: "Send nå", en: "Send now" },
  outboxTitle: { nb: "Registreringer", en: "Registrations" },
  statusPending: { nb: "Venter", en: "Waiting" },
  statusCreated: { nb: "Lagret hos sykehuset", en: "Stored at the hospital" },
  statusDuplicate: { nb: "Var allerede lagret", en: "Already stored" },
  statusConflict: { nb: "Konflikt", en: "Conflict" },
  statusRejected: { nb: "Ikke godtatt", en: "Not accepted" },
  needsAttention: { nb: "{count} trenger at du ser på dem", en: "{count} need your attention" },
  conflictReason: {
    nb: "Sykehuset har allerede en annen registrering med samme id. Din er ikke lagret der.",
    en: "The hospital already has a different registration with the same id. Yours is not stored there.",
  },
  correct: { nb: "Rett opp", en: "Correct it" },
  sendAsNew: { nb: "Send som ny registrering", en: "Send as a new registration" },
  discard: { nb: "Forkast", en: "Discard" },
  confirmDiscard: {
    nb: "Forkaste denne registreringen for godt?",
    en: "Discard this registration for good?",
  },
  // Guidance
  guidanceTitle: { nb: "Råd fra sykehuset", en: "Guidance from the hospital" },
  call113: { nb: "Ring 113", en: "Call 113" },
  dismiss: { nb: "Jeg har lest dette", en: "I have read this" },
  noGuidance: { nb: "Ingen meldinger.", en: "No messages." },
  alertSeen: { nb: "Sett av avdelingen", en: "Seen by the unit" },
  alertOpen: { nb: "Ikke sett ennå", en: "Not seen yet" },
  // Contact
  contactTitle: { nb: "Kontakt meg", en: "Contact me" },
  contactIntro: {
    nb: "Be avdelingen ringe deg. Er det akutt, ring 113.",
    en: "Ask the unit to call you. If it is urgent, call 113.",
  },
  contactMessage: { nb: "Hva gjelder det?", en: "What is it about?" },
  contactSend: { nb: "Send forespørsel", en: "Send request" },
  contactQueued: {
    nb: "Forespørselen er lagret og sendes så snart du er på nett.",
    en: "Your request is saved and will be sent as soon as you are online.",
  },
  contactSent: {
    nb: "Avdelingen har fått forespørselen din og tar kontakt med deg. Er det akutt, ring 113.",
    en: "The unit has your request and will contact you. If it is urgent, call 113.",
  },
  contactSentWithin: {
    nb: "Avdelingen har fått forespørselen din og kontakter deg innen {hours} timer. Er det akutt, ring 113.",
    en: "The unit has your request and will contact you within {hours} hours. If it is urgent, call 113.",
  },
  // Today and history
  today: { nb: "I dag", en: "Today" },
  feeds: { nb: "Måltider", en: "Feeds" },
  volume: { nb: "Mengde", en: "Volume" },
  perKg: { nb: "ml/kg", en: "mL/kg" },
  plan: { nb: "Plan: {ml} ml ({perKg} ml/kg/døgn)", en: "Plan: {ml} mL ({perKg} mL/kg/day)" },
  ofPlan: { nb: "{pct} % av planen", en: "{pct} % of the plan" },
  noPlan: { nb: "Ingen plan registrert.", en: "No plan registered." },
  weightChart: { nb: "Vekt", en: "Weight" },
  weightSummary: {
    nb: "Vekt fra {first} til {last} gram, {count} målinger",
    en: "Weight from {first} to {last} grams, {count} measurements",
  },
  noWeights: { nb: "Ingen vekter ennå.", en: "No weights yet." },
  recent: { nb: "Siste registreringer", en: "Recent registrations" },
  nothingYet: { nb: "Ingenting registrert ennå.", en: "Nothing registered yet." },
  // More: privacy, devices, push
  moreTitle: { nb: "Mer", en: "More" },
  accessLogTitle: { nb: "Hvem har sett dataene mine", en: "Who has seen my data" },
  accessLogIntro: {
    nb: "Alle som har lest eller endret opplysningene, og når.",
    en: "Everyone who read or changed the information, and when.",
  },
  accessRead: { nb: "så på", en: "looked at" },
  accessWrite: { nb: "registrerte i", en: "recorded in" },
  accessDenied: { nb: "(avvist)", en: "(refused)" },
  devicesTitle: { nb: "Innloggede enheter", en: "Signed-in devices" },
  thisDevice: { nb: "denne enheten", en: "this device" },
  signOutDevice: { nb: "Logg ut {name}", en: "Sign out {name}" },
  signOut: { nb: "Logg ut denne enheten", en: "Sign out this device" },
  confirmSignOut: {
    nb: "{count} registreringer er ikke sendt ennå og blir borte hvis du logger ut nå. Logge ut likevel?",
    en: "{count} registrations have not been sent yet and will be lost if you sign out now. Sign out anyway?",
  },
  newPhone: { nb: "Logg inn en annen telefon", en: "Sign in another phone" },
  newPhoneCode: {
    nb: "Skriv koden {code} på den andre telefonen (gyldig til {until}).",
    en: "Type the code {code} on the other phone (valid until {until}).",
  },
  addChildTitle: { nb: "Legg til et barn", en: "Add a child" },
  addChildIntro: {
    nb: "Har du fått en kode for et barn til (for eksempel en tvilling)? Skriv den her.",
    en: "Got a code for another child (a twin, for instance)? Type it here.",
  },
  addChild: { nb: "Legg til", en: "Add" },
  childAdded: { nb: "Barnet er lagt til.", en: "The child has been added." },
  signedInSince: { nb: "innlogget {date}", en: "signed in {date}" },
  notificationsTitle: { nb: "Varsler", en: "Notifications" },
  notificationsIntro: {
    nb: "Få beskjed når sykehuset har en melding til deg. Varselet inneholder ingen helseopplysninger.",
    en: "Be told when the hospital has a message for you. The notification holds no health information.",
  },
  allowNotifications: { nb: "Slå på varsler", en: "Turn on notifications" },
  notificationsOn: { nb: "Varsler er på.", en: "Notifications are on." },
  notificationsBlocked: {
    nb: "Varsler er blokkert i nettleseren. Du kan slå dem på i nettleserens innstillinger.",
    en: "Notifications are blocked in the browser. You can allow them in the browser's settings.",
  },
  notificationsFailed: {
    nb: "Varsler kunne ikke slås på på denne enheten nå. Appen virker som før; se etter meldinger her.",
    en: "Notifications could not be turned on on this device now. The app works as before; look for messages here.",
  },
  notificationsUnsupported: {
    nb: "Denne nettleseren kan ikke vise varsler.",
    en: "This browser cannot show notifications.",
  },
  pushKindsTitle: { nb: "Hva vil du få varsel om?", en: "What do you want to be notified about?" },
  pushKindsIntro: {
    nb: "Valgene gjelder deg på alle telefonene dine, også før varsler er slått på på denne.",
    en: "Your choices apply on all your phones, even before notifications are turned on on this one.",
  },
  pushSeen: { nb: "Sett av avdelingen", en: "Seen by your care team" },
  pushSeenHint: {
    nb: "Når avdelingen har sett en melding du har fått i Heima.",
    en: "When your care team has seen a message you got in Heima.",
  },
  pushHandled: { nb: "Svar på «Kontakt meg»", en: "Answer to “Contact me”" },
  pushHandledHint: {
    nb: "Når avdelingen har fulgt opp forespørselen din om å bli kontaktet.",
    en: "When your care team has followed up your request to be contacted.",
  },
  pushReminder: { nb: "Påminnelser", en: "Reminders" },
  pushReminderHint: {
    nb: "Når det er tid for en registrering, for eksempel dagens vekt.",
    en: "When a registration is due, such as today's weight.",
  },
  pushMeeting: { nb: "Videomøter", en: "Video meetings" },
  pushMeetingHint: {
    nb: "Ti minutter før et videomøte starter.",
    en: "Ten minutes before a video meeting starts.",
  },
  pushKindSaved: { nb: "Lagret.", en: "Saved." },
  pushKindOffline: {
    nb: "Ikke lagret: ingen nettforbindelse. Valget er som før; prøv igjen når du er på nett.",
    en: "Not saved: no connection. The choice is as it was; try again when you are online.",
  },
  pushKindFailed: {
    nb: "Ikke lagret. Valget er som før; prøv igjen senere.",
    en: "Not saved. The choice is as it was; try again later.",
  },
  pushKindsUnavailable: {
    nb: "Valgene kan ikke hentes uten nett. De vises her når du er på nett igjen.",
    en: "Your choices cannot be fetched without a connection. They appear here when you are online again.",
  },
  // Video
  videoTitle: { nb: "Videomøter", en: "Video meetings" },
  noMeetings: { nb: "Ingen planlagte møter.", en: "No meetings planned." },
  echoTitle: { nb: "Test kamera, mikrofon og nett", en: "Test camera, microphone and network" },
  echoStart: { nb: "Start test", en: "Start test" },
  echoStop: { nb: "Stopp test", en: "Stop test" },
  echoRunning: {
    nb: "Ser og hører du deg selv? Da virker alt.",
    en: "Can you see and hear yourself? Then everything works.",
  },
  echoFailed: { nb: "Testen virket ikke: {reason}", en: "The test did not work: {reason}" },
  join: { nb: "Bli med", en: "Join" },
  waitingRoom: { nb: "Venterommet: du slippes inn straks.", en: "Waiting room: you will be let in shortly." },
  inCall: { nb: "I samtale", en: "In the call" },
  mute: { nb: "Slå av mikrofon", en: "Mute" },
  unmute: { nb: "Slå på mikrofon", en: "Unmute" },
  cameraOff: { nb: "Slå av kamera", en: "Camera off" },
  cameraOn: { nb: "Slå på kamera", en: "Camera on" },
  hangUp: { nb: "Legg på", en: "Hang up" },
  reconnecting: { nb: "Kobler til igjen …", en: "Reconnecting …" },
  callEnded: { nb: "Møtet er avsluttet.", en: "The meeting has ended." },
  consultation: { nb: "Konsultasjon", en: "Consultation" },
  discharge: { nb: "Utskrivningsmøte", en: "Discharge meeting" },
  you: { nb: "Deg", en: "You" },
} satisfies Dictionary;

export type TextKey = keyof typeof texts;

/** Labels of the catalogue's attribute and option codes (the API names them by code only). */
const CODES: Record<string, { nb: string; en: string }> = {
  tube: { nb: "Sonde", en: "Tube" },
  bottle: { nb: "Flaske", en: "Bottle" },
  breast: { nb: "Bryst", en: "Breast" },
  milky: { nb: "Melkeaktig", en: "Milky" },
  yellow: { nb: "Gul", en: "Yellow" },
  green: { nb: "Grønn", en: "Green" },
  bloody: { nb: "Med blod", en: "With blood" },
  small: { nb: "Lite", en: "Small" },
  large: { nb: "Mye", en: "Large" },
  axillary: { nb: "Armhule", en: "Armpit" },
  oral: { nb: "Munn", en: "Mouth" },
  rectal: { nb: "Endetarm", en: "Rectal" },
  tympanic: { nb: "Øre", en: "Ear" },
  forehead: { nb: "Panne", en: "Forehead" },
  route: { nb: "Hvordan", en: "How" },
  colour: { nb: "Farge", en: "Colour" },
  size: { nb: "Mengde", en: "Size" },
  site: { nb: "Hvor målt", en: "Where measured" },
  on_oxygen: { nb: "På oksygen", en: "On oxygen" },
};

export function codeLabel(code: string, lang: Lang): string {
  return CODES[code]?.[lang] ?? code.replaceAll("_", " ");
}

/** UCUM units as people read them. */
const UNITS: Record<string, string> = {
  Cel: "°C",
  "[degF]": "°F",
  "mm[Hg]": "mmHg",
  "/min": "/min",
  "{count}": "",
  "{episodes}": "",
  "1": "",
  mL: "ml",
};

export function unitLabel(unit: string | null | undefined): string {
  if (!unit) return "";
  return unit in UNITS ? UNITS[unit] : unit;
}
