"""An interface engine's MLLP listener for the delivery tests, built on the
`hl7` package (PyPI), not on Synoptic. It answers each message as a script of
modes says, one mode per message received (the last mode repeats):

  AA, AE, AR   an acknowledgement with that code (MSA-2 echoing MSH-10)
  WRONGID      AA, but MSA-2 names another message
  SILENT       no answer at all (the sender must time out)
  DROP         close the connection without answering

Every message received is appended to RECEIVED (one JSON line: mode, MSH-10,
message type). Usage: mllp_receiver.py PORT RECEIVED MODE[,MODE...]
"""
import asyncio
import json
import sys

import hl7
import hl7.mllp

port, received, modes = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
count = 0


async def process(reader, writer):
    global count
    try:
        while not writer.is_closing():
            message = await reader.readmessage()
            mode = modes[min(count, len(modes) - 1)]
            count += 1
            control_id = str(message.segment("MSH")[10])
            with open(received, "a", encoding="utf-8") as f:
                f.write(json.dumps({"mode": mode, "controlId": control_id, "type": str(message.segment("MSH")[9])}) + "\n")
            if mode == "DROP":
                writer.close()
                return
            if mode == "SILENT":
                await asyncio.sleep(3600)
                return
            ack = message.create_ack("AA" if mode == "WRONGID" else mode)
            if mode == "WRONGID":
                ack.segment("MSA")[2] = "SOMETHING-ELSE"
            writer.writemessage(ack)
            await writer.drain()
    except asyncio.IncompleteReadError:
        pass
    finally:
        if not writer.is_closing():
            writer.close()


async def main():
    # The messages declare MSH-18 "UNICODE UTF-8" (units such as mm² are not ASCII).
    server = await hl7.mllp.start_hl7_server(process, host="127.0.0.1", port=port, encoding="utf-8")
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
