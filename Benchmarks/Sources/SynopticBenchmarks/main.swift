// Renders one realistic synoptic report layout with three Swift renderers and
// prints renders per second for each (or, with --print, one renderer's output
// so compare.sh can check that all renderers agree byte for byte).
import Foundation
import Mustache
import SynopticLayout

struct Options {
  var resources = "Resources"
  var iterations = 100_000
  var printEngine: String?
  var engines = ["ours", "swift-mustache", "handwritten"]

  init(_ args: [String]) {
    var i = 1
    while i < args.count {
      switch args[i] {
      case "--resources": i += 1; resources = args[i]
      case "--iterations": i += 1; iterations = Int(args[i]) ?? iterations
      case "--print": i += 1; printEngine = args[i]
      case "--engine": i += 1; engines = [args[i]]
      default: break
      }
      i += 1
    }
  }
}

let options = Options(CommandLine.arguments)
func read(_ name: String) -> String {
  guard let s = try? String(contentsOfFile: options.resources + "/" + name, encoding: .utf8) else {
    FileHandle.standardError.write(Data("cannot read \(options.resources)/\(name)\n".utf8))
    exit(2)
  }
  return s
}

let mustacheSource = read("report.mustache")
let dataText = read("data.json")

/// Converts the value tree to the plain dictionaries swift-mustache reads.
func plain(_ v: LayoutValue) -> Any? {
  switch v {
  case .null: return nil
  case .bool(let b): return b
  case .int(let i): return i
  case .double(let d): return d
  case .string(let s): return s
  case .list(let l): return l.compactMap(plain)
  case .object(let o): return o.compactMapValues(plain)
  }
}

let value: LayoutValue
do { value = try JSONReader.parse(dataText) } catch {
  FileHandle.standardError.write(Data("bad data.json: \(error)\n".utf8))
  exit(2)
}
let dictionary = plain(value) as? [String: Any] ?? [:]
let ours = try LayoutLibrary(escape: .html).compile(mustacheSource, file: "report.mustache")
let peer = try MustacheTemplate(string: mustacheSource)
let report = try JSONDecoder().decode(HandwrittenReport.self, from: Data(dataText.utf8))

@MainActor func render(_ engine: String) -> String {
  switch engine {
  case "ours": return (try? ours.render(value)) ?? ""
  case "swift-mustache": return peer.render(dictionary)
  default: return report.render()
  }
}

if let engine = options.printEngine {
  FileHandle.standardOutput.write(Data(render(engine).utf8))
  exit(0)
}

for engine in options.engines {
  var sink = 0
  for _ in 0..<max(1, options.iterations / 20) { sink &+= render(engine).utf8.count }  // warm up
  let start = DispatchTime.now().uptimeNanoseconds
  for _ in 0..<options.iterations { sink &+= render(engine).utf8.count }
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  print("\(engine) renders_per_second=\(Int(Double(options.iterations) / seconds)) bytes=\(sink / (options.iterations + max(1, options.iterations / 20)))")
}
