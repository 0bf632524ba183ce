/// <reference path="../pb_data/types.d.ts" />

// A small, working example of a site owner's own hook on the messaging
// collections. Record hooks run for every way a message is written (the
// messaging API, the records API, the batch API, Go code), after the
// plugin's rules. Delete this file if you don't want it.
//
// Here: refuse messages that contain a word the site has banned. The
// error is returned to the sender as a normal 400 in PocketBase's format.
onRecordCreate((e) => {
    const banned = ["buy-followers.example"]
    const body = (e.record.get("body") || "").toLowerCase()
    for (const word of banned) {
        if (body.includes(word)) {
            throw new BadRequestError("This message contains a link that isn't allowed here.")
        }
    }
    e.next()
}, "messages")
