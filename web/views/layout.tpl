<!DOCTYPE html>
<html lang="{{'zh-CN' if ctx.lang == 'zh' else 'en'}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · {{_('Branch communications appliance')}}</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<header class="top">
  <a class="brand" href="/">{{_('Branch communications appliance')}}</a>
  <span class="branch">{{ctx.config['branch_name']}}</span>
  <span class="spacer"></span>
  % for code, name in ctx.other_languages():
  <a class="lang" href="/lang/{{code}}?next={{ctx.request.fullpath}}">{{name}}</a>
  % end
  % if ctx.user:
  <span class="who">{{ctx.user.username}} · {{_(ctx.role)}}</span>
  <form method="post" action="/signout" class="inline">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <button type="submit" class="link">{{_('Sign out')}}</button>
  </form>
  % end
</header>
<div class="frame">
% if nav:
<input type="checkbox" id="menu-toggle" class="menu-toggle" aria-controls="side-menu">
<label for="menu-toggle" class="menu-button" id="menu-button">☰ {{_('Menu')}}</label>
<nav class="side" id="side-menu">
  % for group, links in ctx.nav_groups():
  <div class="nav-group">
    % if group:
    <span class="nav-head">{{group}}</span>
    % end
    % for path, label in links:
    <a href="{{path}}" class="{{'here' if ctx.request.path == path or (path != '/' and ctx.request.path.startswith(path + '/')) else ''}}">{{label}}</a>
    % end
  </div>
  % end
</nav>
% end
<main>
% if title:
<h1>{{title}}</h1>
% end
% if flash:
<p class="flash {{flash['kind']}}" role="status">{{flash['text']}}</p>
% end
{{!base}}
</main>
</div>
<script src="/static/app.js"></script>
</body>
</html>
